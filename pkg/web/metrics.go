package web

import (
	"net/netip"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// showMetrics serves Prometheus metrics to the networks in metrics.allow
// (the machine and private networks by default) and 404 to everyone else.
func (a *App) showMetrics(c echo.Context) error {
	addr, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return echo.ErrNotFound
	}
	allowed := false
	for _, s := range a.d.Config.Metrics.Allow {
		if p, err := netip.ParsePrefix(s); err == nil && p.Contains(addr.Unmap()) {
			allowed = true
		}
	}
	if !allowed {
		return echo.ErrNotFound
	}
	promhttp.HandlerFor(a.d.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}

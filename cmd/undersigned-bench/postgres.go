package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/undersigned/undersigned/pkg/store"
)

// clusterSettings are the settings a throwaway cluster starts with, before
// those -postgres-set adds. fsync and synchronous_commit are PostgreSQL's
// defaults, named so that the figures are read as those of a durable
// server: every commit waits for its WAL to reach the disk. Two instances
// under load open more connections than the default 100.
func clusterSettings() []string {
	return []string{"fsync=on", "synchronous_commit=on", "max_connections=300", "listen_addresses=127.0.0.1"}
}

// shownSettings are the settings the header prints, as the server has them.
func shownSettings() []string {
	return []string{"fsync", "synchronous_commit", "shared_buffers", "max_connections"}
}

// cluster is a PostgreSQL server the load command started in a temporary
// folder, for one run.
type cluster struct {
	bin, dir string
	port     int
	owner    *syscall.Credential // whom the binaries run as; nil: this user
}

// startCluster initialises a cluster with bin's initdb in a temporary folder
// and starts it on a free port with clusterSettings and extra ("name=value").
// PostgreSQL refuses to run as root: then the binaries run as the user
// postgres, as .ci/run does.
func startCluster(bin string, extra []string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "undersigned-bench-pg-")
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		if c.owner, err = postgresUser(dir); err != nil {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
	}
	if c.port, err = freePort(); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	data := filepath.Join(dir, "data")
	if err := c.exec("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	opts := []string{"-p", strconv.Itoa(c.port), "-k", dir}
	for _, s := range append(clusterSettings(), extra...) {
		opts = append(opts, "-c", s)
	}
	if err := c.exec("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", strings.Join(opts, " "), "-w", "start"); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	return c, nil
}

// dsn is the connection string to the cluster, without dbname.
func (c *cluster) dsn() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres sslmode=disable", c.port)
}

// stop stops the cluster at once and removes its folder.
func (c *cluster) stop() error {
	err := c.exec("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(c.dir))
}

// exec runs one of the cluster's binaries as its owner.
func (c *cluster) exec(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if c.owner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner}
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out.String())
	}
	return nil
}

// postgresUser is the user postgres, made the owner of dir.
func postgresUser(dir string) (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the user postgres: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort is a TCP port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// benchDatabase creates a database of the run's own on the server base
// reaches and returns its connection string and a function that drops it.
func benchDatabase(base string) (string, func() error, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return store.CreatePostgresDatabase(base, "undersigned_bench_"+hex.EncodeToString(b))
}

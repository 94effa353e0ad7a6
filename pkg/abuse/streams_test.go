package abuse

import "testing"

func TestStreamLimitCountsPerNetworkUntilClosed(t *testing.T) {
	s := NewStreamLimit(2, []string{"198.51.100.0/24"})
	var closers []func()
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::ffff"} { // one /64
		closed, ok := s.Open(ip)
		if !ok {
			t.Fatalf("stream from %s refused below the limit", ip)
		}
		closers = append(closers, closed)
	}
	if _, ok := s.Open("2001:db8:1:2::3"); ok {
		t.Error("a third stream from one /64 was let through")
	}
	if _, ok := s.Open("2001:db8:1:3::1"); !ok {
		t.Error("another /64 was refused")
	}
	closers[0]()
	closers[0]() // closing twice frees one place, not two
	if _, ok := s.Open("2001:db8:1:2::3"); !ok {
		t.Error("refused after a stream of the network closed")
	}
	if _, ok := s.Open("2001:db8:1:2::4"); ok {
		t.Error("a stream closed twice was counted as two")
	}
	for range 5 {
		if _, ok := s.Open("198.51.100.7"); !ok {
			t.Fatal("an allow-listed network was limited")
		}
	}
}

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkInsertBatch measures the writer alone committing batches of new
// signatures, each with its mail, as the group commit does during a launch,
// into a letter that already holds 200,000. It reports the writer's time per
// signature, in time and in the CPU the process used meanwhile (the
// checkpointer's included), but not the fsync that makes each commit durable,
// which the batcher runs beside the writer; the load command measures the
// whole path.
func BenchmarkInsertBatch(b *testing.B) {
	st, letter := openLetterStore(b)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	sealed := make([]byte, 60)
	err := st.SeedPublished(ctx, letter.ID, 200_000, []string{"DE", "FR", "GB", "US"}, now, func(i int, sig *Signature) {
		sig.Name, sig.EmailSealed = fmt.Sprintf("Signatory %07d", i), sealed
		sig.EmailHash, sig.TokenHash, sig.ManageHash = hash(fmt.Sprint("e", i)), hash(fmt.Sprint("t", i)), hash(fmt.Sprint("m", i))
	})
	if err != nil {
		b.Fatal(err)
	}
	next := 0
	newSig := func() *Signature {
		next++
		sig := &Signature{LetterID: letter.ID, Kind: KindIndividual, Name: fmt.Sprintf("Signer %d", next), Country: "DE",
			EmailHash: hash(fmt.Sprint("new", next)), EmailSealed: sealed, TokenSealed: sealed, ManageSealed: sealed,
			TokenHash: hash(fmt.Sprint("nt", next)), ManageHash: hash(fmt.Sprint("nm", next)), NetworkHash: hash(fmt.Sprint("n", next%500)),
			EmailDomainHash: hash(fmt.Sprint("d", next%50)), Status: StatusUnconfirmed, Locale: "en", LetterVersion: "v", ConsentVersion: "1",
			TokenExpiresAt: now, NetworkSeenAt: &now}
		sig.SetDerived(st.SortKeys)
		return sig
	}
	for _, size := range []int{1, 2, 4, 8, 32, 128} {
		b.Run(fmt.Sprint("batch=", size), func(b *testing.B) {
			var writer, cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				batch := make([]*writeRequest, size)
				for i := range batch {
					in := &signatureInsert{sig: newSig(), mail: MailConfirm, now: now}
					batch[i] = &writeRequest{ctx: ctx, fn: in.insertOne, insert: in}
				}
				b.StartTimer()
				start, cpuStart := time.Now(), processCPU(b)
				results := st.batch.commit(batch)
				writer, cpu = writer+time.Since(start), cpu+processCPU(b)-cpuStart
				for i, r := range batch {
					if res := results[i]; res.err != nil || !r.insert.inserted {
						b.Fatalf("insert: %v, inserted %v", res.err, r.insert.inserted)
					}
				}
			}
			b.ReportMetric(float64(writer.Microseconds())/float64(b.N*size), "µs/signature")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*size), "CPU-µs/signature")
		})
	}
}

// processCPU is the CPU time this process has used, in user and system mode.
func processCPU(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

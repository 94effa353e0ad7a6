package mail

import (
	"errors"
	"fmt"
	"regexp"

	gomail "github.com/wneessen/go-mail"
)

// failure is a failed send as the outbox records it: whether trying again can
// help, and a description that names no recipient.
type failure struct {
	permanent bool
	summary   string
}

// addressPattern finds anything shaped like an email address in error text.
var addressPattern = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// classify reads a transport error. A relay's 5xx answer is permanent (the
// address does not exist, the message is refused): retrying cannot help. A
// 4xx answer, a refused connection or a timeout is temporary. Relays and
// go-mail put the recipient's address in their errors; it is taken out, so
// signers' addresses never reach the log or the database in the clear.
func classify(err error) failure {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return failure{
			permanent: code >= 500 && code < 600 && !se.IsTemp(),
			summary:   fmt.Sprintf("smtp: %s failed with %d %s", se.Reason, code, se.EnhancedStatusCode()),
		}
	}
	return failure{summary: redact(err.Error())}
}

// redact replaces email addresses in s.
func redact(s string) string {
	return addressPattern.ReplaceAllString(s, "<address>")
}

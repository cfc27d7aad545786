package shared

import (
	"fmt"
	"regexp"
)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidName reports whether s can be a cell or provider name: it becomes a
// NATS subject token, so it must not contain '.', '*', '>' or spaces.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// OffersSubject is the request-reply subject the workers of one provider
// serve, as one queue group, inside a cell.
func OffersSubject(cell, provider string) string {
	return fmt.Sprintf("%s.offers.%s", cell, provider)
}

// WorkerQueue is the queue group name shared by all replicas of a provider's
// worker, so NATS delivers each request to exactly one of them.
func WorkerQueue(provider string) string { return "workers." + provider }

// ReplicaSubject addresses one worker replica directly, so an edge can
// weight its choice among replicas by their health instead of leaving it to
// the queue group's random pick.
func ReplicaSubject(cell, provider, replica string) string {
	return fmt.Sprintf("%s.offers.%s.%s", cell, provider, replica)
}

// HealthSubject carries WorkerStatus heartbeats of a provider's replicas.
func HealthSubject(cell, provider string) string {
	return fmt.Sprintf("%s.health.%s", cell, provider)
}

// HealthWildcard subscribes to every provider's heartbeats in a cell.
func HealthWildcard(cell string) string { return cell + ".health.>" }

// VerifySubject is where a provider's workers (queue group WorkerQueue) try
// a user's stored credential against the provider.
func VerifySubject(cell, provider string) string {
	return fmt.Sprintf("%s.integrations.verify.%s", cell, provider)
}

// SyncSubject is the request-reply subject that runs a cell's data-sync job
// once and answers with its summary (datasync.TriggerReply): how an
// external scheduler such as Airflow starts it.
func SyncSubject(cell string) string { return cell + ".jobs.sync" }

// SyncQueue is the queue group of the processes answering SyncSubject, so
// one of them runs each request.
const SyncQueue = "jobs.sync"

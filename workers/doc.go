// Package workers serves one provider's offers over NATS. A worker joins the
// queue group of its provider on "<cell>.offers.<provider>", so any number
// of replicas share the requests; it calls the provider adapter under the
// requester's deadline (one upstream call at a time, shared by all waiting
// requests), replies with the normalized offers, and publishes every price
// change it observes on "<cell>.prices.<provider>".
package workers

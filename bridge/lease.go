package bridge

// LeaseBucket is the JetStream key-value bucket that holds a cell's
// bridge lease: one bridge forwards at a time, since two would rewind
// each other's stream consumers (see outboundConsumer). Others wait as
// standbys and take over within the lease's TTL when it is not renewed.
func LeaseBucket(cell string) string { return "gpubroker_bridge_lease_" + cell }

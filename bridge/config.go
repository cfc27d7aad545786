package bridge

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/VictoriaMetrics/metrics"
	gometrics "github.com/rcrowley/go-metrics"

	"github.com/gpubroker/gpubroker/shared"
)

// sarama's own metrics registry costs a lock per record; the bridge has
// its own metrics.
func init() { gometrics.UseNilMetrics = true }

// Config configures a bridge.
type Config struct {
	Cell    string
	Brokers []string
	// Partitions and ReplicationFactor are used for topics the bridge
	// creates (default 12 and 1; production runs 3 replicas).
	Partitions        int32
	ReplicationFactor int16
	// FlushBytes, FlushMessages and FlushFrequency batch the producer
	// (defaults 1 MiB, 10,000 records, 5 ms).
	FlushBytes     int
	FlushMessages  int
	FlushFrequency time.Duration
	// Batch is how many stream messages one fetch takes (default 5,000)
	// and FetchWait how long a fetch waits to fill it (default 500 ms).
	Batch     int
	FetchWait time.Duration
	// InFlight is how many batches of one kind may be on their way to
	// Kafka at once (default 1). More raises throughput (4: about +10 %
	// here) but a broker failing partition by partition can then write a
	// later batch's event before an earlier refused one is sent again:
	// nothing is lost, per-offer order may break.
	InFlight int
	// Group is the consumer group of the inbound topics (default
	// "gpubroker-bridge-<cell>").
	Group string
	// RetryMax caps the wait between attempts to reach Kafka (default 10 s).
	RetryMax time.Duration
	// LeaseTTL is how long the cell's bridge lease outlives its last
	// renewal (default 10 s): a standby bridge takes over that long after
	// the active one was killed (at once after a clean stop).
	LeaseTTL time.Duration
	Logger   *slog.Logger
	Metrics  *metrics.Set
}

// ParseBrokers splits a KAFKA_BROKERS value ("host:port,host:port").
func ParseBrokers(s string) ([]string, error) {
	var out []string
	for _, b := range strings.Split(s, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		host, port, ok := strings.Cut(b, ":")
		if !ok || host == "" || port == "" || strings.ContainsAny(b, "/ ") {
			return nil, fmt.Errorf("kafka broker %q: want host:port", b)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no kafka brokers in %q", s)
	}
	return out, nil
}

func (c Config) withDefaults() (Config, error) {
	if !shared.ValidName(c.Cell) {
		return c, fmt.Errorf("bridge: cell name %q is not valid", c.Cell)
	}
	if len(c.Brokers) == 0 {
		return c, fmt.Errorf("bridge: no kafka brokers")
	}
	if c.Partitions <= 0 {
		c.Partitions = 12
	}
	if c.ReplicationFactor <= 0 {
		c.ReplicationFactor = 1
	}
	if c.FlushBytes <= 0 {
		c.FlushBytes = 1 << 20
	}
	if c.FlushMessages <= 0 {
		c.FlushMessages = 10000
	}
	if c.FlushFrequency <= 0 {
		c.FlushFrequency = 5 * time.Millisecond
	}
	if c.Batch <= 0 {
		c.Batch = 5000
	}
	if c.InFlight <= 0 {
		c.InFlight = 1
	}
	if c.FetchWait <= 0 {
		c.FetchWait = 500 * time.Millisecond
	}
	if c.Group == "" {
		c.Group = "gpubroker-bridge-" + c.Cell
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 10 * time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewSet()
	}
	return c, nil
}

// producerConfig is the at-least-once, in-order producer: every in-sync
// replica acknowledges (WaitForAll), the idempotent producer makes its own
// retries harmless, and one request in flight per broker keeps a
// partition's records in order.
func (c Config) producerConfig() *sarama.Config {
	sc := sarama.NewConfig()
	sc.ClientID = "gpubroker-bridge-" + c.Cell
	sc.Version = sarama.V4_0_0_0
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = true
	sc.Net.MaxOpenRequests = 1
	// Retrying for about an hour (2 s apart at most) keeps a partition's
	// records in order through a broker outage: sarama holds the later ones
	// behind the one it retries, as the Java client does with its
	// retries=MAX_INT. (sarama keeps state per possible retry, so not
	// MaxInt32.) Records still wait in the stream meanwhile; only the
	// batch in flight sits in the producer.
	sc.Producer.Retry.Max = 1800
	sc.Producer.Retry.BackoffFunc = func(retries, _ int) time.Duration {
		return min(100*time.Millisecond<<min(retries, 5), 2*time.Second)
	}
	sc.Producer.Compression = sarama.CompressionSnappy
	sc.Producer.Partitioner = sarama.NewHashPartitioner
	sc.Producer.Flush.Bytes = c.FlushBytes
	sc.Producer.Flush.Messages = c.FlushMessages
	sc.Producer.Flush.Frequency = c.FlushFrequency
	sc.Producer.Flush.MaxMessages = 4 * c.FlushMessages
	sc.Producer.MaxMessageBytes = 1 << 20
	sc.ChannelBufferSize = max(256, c.Batch) // a batch goes in without waiting on sarama
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Metadata.Retry.Max = 2
	sc.Metadata.Retry.Backoff = 250 * time.Millisecond
	sc.Net.DialTimeout = 5 * time.Second
	return sc
}

// consumerConfig reads the inbound topics from their start the first time
// the group runs, and commits only offsets the handler marked.
func (c Config) consumerConfig() *sarama.Config {
	sc := sarama.NewConfig()
	sc.ClientID = "gpubroker-bridge-" + c.Cell + "-in"
	sc.Version = sarama.V4_0_0_0
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Enable = true
	sc.Consumer.Offsets.AutoCommit.Interval = time.Second
	sc.Consumer.Return.Errors = true
	sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	sc.Net.DialTimeout = 5 * time.Second
	sc.Metadata.Retry.Max = 2
	return sc
}

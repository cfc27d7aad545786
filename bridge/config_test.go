package bridge

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// The producer is at-least-once and in order: acks from every in-sync
// replica, idempotent (which sarama allows only with one request in
// flight), snappy, and a protocol version Kafka 4 speaks.
func TestProducerConfig(t *testing.T) {
	cfg, err := Config{Cell: "c", Brokers: []string{"k:9092"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	sc := cfg.producerConfig()
	if sc.Producer.RequiredAcks != sarama.WaitForAll {
		t.Errorf("RequiredAcks = %v, want WaitForAll", sc.Producer.RequiredAcks)
	}
	if !sc.Producer.Idempotent || sc.Net.MaxOpenRequests != 1 {
		t.Errorf("Idempotent = %v with MaxOpenRequests %d, want true and 1", sc.Producer.Idempotent, sc.Net.MaxOpenRequests)
	}
	if sc.Producer.Compression != sarama.CompressionSnappy {
		t.Errorf("Compression = %v, want snappy", sc.Producer.Compression)
	}
	if !sc.Version.IsAtLeast(sarama.V4_0_0_0) {
		t.Errorf("Version = %v, want at least 4.0", sc.Version)
	}
	if !sc.Producer.Return.Successes || !sc.Producer.Return.Errors {
		t.Error("the bridge needs both successes and errors back")
	}
	if sc.Producer.Flush.Bytes != 1<<20 || sc.Producer.Flush.Messages != 10000 || sc.Producer.Flush.Frequency != 5*time.Millisecond {
		t.Errorf("flush defaults %d bytes / %d messages / %s", sc.Producer.Flush.Bytes, sc.Producer.Flush.Messages, sc.Producer.Flush.Frequency)
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("sarama refuses the producer config: %v", err)
	}
	cc := cfg.consumerConfig()
	if cc.Consumer.Offsets.Initial != sarama.OffsetOldest || !cc.Consumer.Offsets.AutoCommit.Enable {
		t.Error("inbound group must start at the oldest record and commit marked offsets")
	}
	if err := cc.Validate(); err != nil {
		t.Errorf("sarama refuses the consumer config: %v", err)
	}
	custom, _ := Config{Cell: "c", Brokers: []string{"k:9092"}, FlushBytes: 4096, FlushMessages: 7, FlushFrequency: time.Second}.withDefaults()
	if f := custom.producerConfig().Producer.Flush; f.Bytes != 4096 || f.Messages != 7 || f.Frequency != time.Second {
		t.Errorf("configured flush not applied: %+v", f)
	}
}

func TestParseBrokers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"127.0.0.1:9092", 1, true},
		{" a:1 , b:2,, ", 2, true},
		{"", 0, false},
		{",", 0, false},
		{"kafka", 0, false},
		{"kafka:", 0, false},
		{":9092", 0, false},
		{"http://kafka:9092", 0, false},
	} {
		got, err := ParseBrokers(tc.in)
		if (err == nil) != tc.ok || len(got) != tc.want {
			t.Errorf("ParseBrokers(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestConfigRejectsBadCell(t *testing.T) {
	if _, err := (Config{Cell: "a.b", Brokers: []string{"k:1"}}).withDefaults(); err == nil {
		t.Error("a cell name with a dot was accepted")
	}
	if _, err := (Config{Cell: "a"}).withDefaults(); err == nil {
		t.Error("no brokers was accepted")
	}
}

package bridge

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/events"
)

// Malformed records on gpubroker.price-alerts land in the dead-letter
// topic with their reason; the good record after them reaches the cell.
func TestKafkaInboundDeadLetters(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	nc := testnats.JetStream(t)
	cell := uniqueCell(t)
	token := "dlq-" + cell
	dlq := readTopic(t, brokers, events.TopicDLQUnmapped, func(r record) bool { return bytes.Contains(r.value, []byte(token)) })
	sub, err := nc.SubscribeSync(events.KindSubjects(cell, events.TypePriceChange))
	if err != nil {
		t.Fatal(err)
	}
	newBus(t, nc, cell)
	startBridge(t, nc, cell, brokers)

	good := map[string]any{"event_id": events.NewID(), "type": events.TypePriceChange, "cell": cell,
		"timestamp": "2026-12-03T10:00:00.000Z", "offer_id": "vastai:123", "token": token}
	goodJSON, _ := json.Marshal(good)
	noKey := map[string]any{"event_id": events.NewID(), "type": events.TypePriceChange, "cell": cell,
		"timestamp": "2026-12-03T10:00:00.000Z", "token": token}
	noKeyJSON, _ := json.Marshal(noKey)
	bad := []struct{ value, reason string }{
		{`{"token": "` + token + `", broken`, "not a JSON object"},
		{string(noKeyJSON), "offer_id missing"},
		{`{"token":"` + token + `","event_id":"x","type":"price_update","cell":"` + cell + `","timestamp":"2026-12-03T10:00:00Z"}`, "does not belong on this topic"},
	}
	sc := sarama.NewConfig()
	sc.Version = sarama.V4_0_0_0
	sc.Producer.Return.Successes = true
	sc.Producer.RequiredAcks = sarama.WaitForAll
	prod, err := sarama.NewSyncProducer(strings.Split(brokers, ","), sc)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for _, b := range bad {
		if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: events.TopicPriceAlerts, Key: sarama.StringEncoder("k"), Value: sarama.StringEncoder(b.value)}); err != nil {
			t.Fatal(err)
		}
	}
	// Same key, so the same partition: the good record comes after the bad.
	if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: events.TopicPriceAlerts, Key: sarama.StringEncoder("k"), Value: sarama.ByteEncoder(goodJSON)}); err != nil {
		t.Fatal(err)
	}

	m, err := sub.NextMsg(90 * time.Second)
	if err != nil {
		t.Fatalf("the good alert did not reach the cell: %v", err)
	}
	if !bytes.Equal(m.Data, goodJSON) || m.Header.Get(events.HeaderID) != good["event_id"] || m.Subject != events.Subject(cell, events.TypePriceChange, "vastai:123") {
		t.Fatalf("delivered %s on %s (id %q)", m.Data, m.Subject, m.Header.Get(events.HeaderID))
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(dlq.snapshot()) < len(bad) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	got := dlq.snapshot()
	if len(got) != len(bad) {
		t.Fatalf("dead-letter topic holds %d of this test's records, want %d", len(got), len(bad))
	}
	for i, b := range bad {
		reason := got[i].headers[events.HeaderDLQReason]
		if string(got[i].value) != b.value || !strings.Contains(reason, b.reason) || got[i].headers[events.HeaderDLQTopic] != events.TopicPriceAlerts {
			t.Errorf("dead letter %d: %s with reason %q (want %q)", i, got[i].value, reason, b.reason)
		}
	}
	if _, err := sub.NextMsg(time.Second); err == nil {
		t.Fatal("a refused record reached the cell")
	}
}

package bridge

import (
	"context"
	"time"

	"github.com/IBM/sarama"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/events"
)

// inbound is the consumer-group handler of the inbound topics.
type inbound struct {
	b      *Bridge
	js     jetstream.JetStream
	p      *producer
	routes map[string]events.Route // by topic
}

func (in *inbound) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (in *inbound) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim handles one partition in order: a record's offset is marked
// only once it is in the stream or in the dead-letter topic.
func (in *inbound) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	ctx := sess.Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			if !in.handle(ctx, msg) {
				return nil
			}
			sess.MarkMessage(msg, "")
		}
	}
}

// handle is false when ctx ended before msg was placed anywhere.
func (in *inbound) handle(ctx context.Context, msg *sarama.ConsumerMessage) bool {
	in.b.m.consumed(msg.Topic).Inc()
	route := in.routes[msg.Topic]
	ev, err := events.Check(route, msg.Value)
	if err != nil {
		return in.deadLetter(ctx, msg, err.Error())
	}
	if ev.Cell != in.b.cfg.Cell {
		in.b.m.otherCell.Inc() // another cell's bridge takes it
		return true
	}
	out := nats.NewMsg(events.Subject(in.b.cfg.Cell, ev.Type, ev.Key))
	out.Data = ev.Data
	out.Header.Set(events.HeaderID, ev.EventID)
	out.Header.Set(events.HeaderType, ev.Type)
	out.Header.Set(events.HeaderKey, ev.Key)
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := in.js.PublishMsg(pctx, out, jetstream.WithMsgID(ev.EventID))
		cancel()
		if err == nil {
			in.b.m.delivered(msg.Topic).Inc()
			return true
		}
		if attempt == 1 || attempt%20 == 0 {
			in.b.log.Warn("publishing a kafka record into the event stream; retrying", "topic", msg.Topic,
				"partition", msg.Partition, "offset", msg.Offset, "event_id", ev.EventID, "attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(in.b.backoff(attempt)):
		}
	}
}

// deadLetter puts msg, unchanged, on the bridge's dead-letter topic with
// the reason and its origin in headers.
func (in *inbound) deadLetter(ctx context.Context, msg *sarama.ConsumerMessage, reason string) bool {
	in.b.log.Warn("kafka record refused; sent to the dead-letter topic", "topic", msg.Topic,
		"partition", msg.Partition, "offset", msg.Offset, "reason", reason)
	headers := []sarama.RecordHeader{
		{Key: []byte(events.HeaderDLQReason), Value: []byte(reason)},
		{Key: []byte(events.HeaderDLQTopic), Value: []byte(msg.Topic)},
	}
	for _, h := range msg.Headers {
		if h != nil {
			headers = append(headers, *h)
		}
	}
	r := &sarama.ProducerMessage{Topic: events.TopicDLQUnmapped, Value: sarama.ByteEncoder(msg.Value), Headers: headers}
	if msg.Key != nil {
		r.Key = sarama.ByteEncoder(msg.Key)
	}
	return in.p.deliver(ctx, []*sarama.ProducerMessage{r}, in.b.backoff, func(attempt int, err error) {
		if attempt == 1 || attempt%20 == 0 {
			in.b.log.Warn("writing the dead-letter topic; retrying", "attempt", attempt, "err", err)
		}
	})
}

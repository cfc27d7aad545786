package events

import "strings"

// Kafka topics. Outbound ones carry what the cell produces; inbound ones
// are written by Flink and other Kafka producers and bridged into the cell.
const (
	TopicPriceUpdates   = "gpubroker.price-updates"
	TopicProviderEvents = "gpubroker.provider-events" // provider_event and availability_update

	TopicWebhooks           = "gpubroker.webhooks"
	TopicPriceAlerts        = "gpubroker.price-alerts"     // price_change, from Flink
	TopicPriceAnomalies     = "gpubroker.price-anomalies"  // price_anomaly, from Flink
	TopicPriceAggregates    = "gpubroker.price-aggregates" // price_aggregate, from Flink
	TopicRentalEvents       = "gpubroker.rental-events"
	TopicAgentActions       = "gpubroker.agents.actions"
	TopicAgentNotifications = "gpubroker.agents.notifications"
	TopicBillingEvents      = "gpubroker.internal.billing-events"
	TopicDLQWebhooks        = "gpubroker.dlq.webhooks"
	TopicDLQNotifications   = "gpubroker.dlq.notifications"
	TopicDLQAgentActions    = "gpubroker.dlq.agent-actions"
	TopicDLQUnmapped        = "gpubroker.dlq.bridge" // what the bridge cannot map, either way
)

// Kinds Kafka producers (the Flink jobs) send into the cell (inbound); the
// cell's embedded detectors make the same kinds when Flink is not on
// (docs/analytics.md).
const (
	TypePriceChange    = "price_change"
	TypePriceAnomaly   = "price_anomaly"
	TypePriceAggregate = "price_aggregate"
)

// Route says where a kind travels: its Kafka topic and whether the bridge
// carries it out of the cell (Outbound) or into it.
type Route struct {
	Type     string
	Topic    string
	Outbound bool
}

// Routes lists every kind the bridge carries, outbound first.
func Routes() []Route {
	return []Route{
		{TypePriceUpdate, TopicPriceUpdates, true},
		{TypeAvailabilityUpdate, TopicProviderEvents, true},
		{TypeProviderEvent, TopicProviderEvents, true},
		{TypeWebhookRequest, TopicWebhooks, true},
		{TypeWebhookDead, TopicDLQWebhooks, true},
		{TypePriceChange, TopicPriceAlerts, false},
		{TypePriceAnomaly, TopicPriceAnomalies, false},
		{TypePriceAggregate, TopicPriceAggregates, false},
	}
}

// Topics is every topic the bridge makes sure exists, reserved ones
// included, so none is ever created with broker defaults.
func Topics() []string {
	return []string{TopicPriceUpdates, TopicProviderEvents, TopicWebhooks, TopicPriceAlerts, TopicPriceAnomalies,
		TopicPriceAggregates, TopicRentalEvents,
		TopicAgentActions, TopicAgentNotifications, TopicBillingEvents,
		TopicDLQWebhooks, TopicDLQNotifications, TopicDLQAgentActions, TopicDLQUnmapped}
}

// Subject is where an event of kind typ with key lives in cell:
// "<cell>.events.<type>.<key>". Keys with characters a subject token cannot
// hold ('.', '*', '>', spaces) are escaped so every key is one token.
func Subject(cell, typ, key string) string {
	return cell + ".events." + typ + "." + subjectToken(key)
}

// KindSubjects matches every event of kind typ in cell.
func KindSubjects(cell, typ string) string { return cell + ".events." + typ + ".>" }

// Wildcard matches every event in cell; the JetStream stream holds it.
func Wildcard(cell string) string { return cell + ".events.>" }

// SubjectType returns the kind token of an event subject in cell.
func SubjectType(cell, subject string) (string, bool) {
	rest, ok := strings.CutPrefix(subject, cell+".events.")
	if !ok {
		return "", false
	}
	typ, _, ok := strings.Cut(rest, ".")
	return typ, ok && typ != ""
}

func subjectToken(key string) string {
	if key == "" {
		return "_"
	}
	if !strings.ContainsAny(key, ".*> \t\r\n%") {
		return key
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch c {
		case '.', '*', '>', ' ', '\t', '\r', '\n', '%':
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

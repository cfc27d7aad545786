package bridge

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"

	"github.com/gpubroker/gpubroker/shared/events"
)

// ensureTopics creates every topic of events.Topics that is missing, with
// the configured partitions and replication, so none gets broker defaults.
// Existing topics are left as they are.
func ensureTopics(admin sarama.ClusterAdmin, partitions int32, replication int16) (created []string, err error) {
	existing, err := admin.ListTopics()
	if err != nil {
		return nil, fmt.Errorf("listing kafka topics: %w", err)
	}
	for _, t := range events.Topics() {
		if _, ok := existing[t]; ok {
			continue
		}
		err := admin.CreateTopic(t, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: replication}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return created, fmt.Errorf("creating kafka topic %s: %w", t, err)
		}
		created = append(created, t)
	}
	return created, nil
}

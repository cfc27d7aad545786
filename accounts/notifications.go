package accounts

import (
	"context"
	"fmt"

	"github.com/gpubroker/gpubroker/shared/store"
)

// NotificationPage is one page of a user's notifications, newest first.
type NotificationPage struct {
	Items []store.Notification
	Next  string // cursor of the next page; "" on the last
}

// ListNotifications returns p's notifications (what their alerts fired),
// newest first: limit (1-100, default 50) of them after cursor (the Next
// of the previous page).
func (s *Service) ListNotifications(ctx context.Context, p Principal, cursor, limit string) (NotificationPage, error) {
	if err := p.allow(ScopeAlertsRead); err != nil {
		return NotificationPage{}, err
	}
	n, err := pageSize(limit, 50)
	if err != nil {
		return NotificationPage{}, err
	}
	if len(cursor) > 64 {
		return NotificationPage{}, fieldErr("cursor", "is not a cursor from this endpoint")
	}
	items, err := s.st.ListNotifications(ctx, p.UserID, cursor, n+1)
	if err != nil {
		return NotificationPage{}, fmt.Errorf("accounts: listing notifications: %w", err)
	}
	page := NotificationPage{Items: items}
	if len(items) > n {
		page.Items, page.Next = items[:n], items[n-1].ID
	}
	return page, nil
}

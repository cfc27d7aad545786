// Package alerts decides which stored price alerts a price change fires.
//
// An alert (store.Alert: a GPU model, a max instance price in USD/hour, and
// optionally a region and a provider) fires when an offer it matches is
// at or below its max price: once per alert and offer, until that offer's
// price rises above the max again (or the offer goes away), which re-arms
// it. The Index keys alerts by canonical GPU id, so a price change looks at
// the alerts of its GPU only, not at every alert.
//
// Delivering what fires (notifications, the owner's WebSocket, webhooks)
// is the caller's; nothing here does I/O.
package alerts

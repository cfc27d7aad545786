// Package board serves the live price board: one page (/board) showing the
// cheapest offer of every GPU model, with provider, region and price per
// GPU-hour, kept current over the edge's own WebSocket (/ws/providers/).
// Its HTML, script and style are embedded in the binary: no build step, no
// CDN, it works offline. The page uses only the public protocol: the GPU
// list from GET /api/v2/gpus, each model's cheapest offer through the
// WebSocket's get_offers, and a re-ask for a model whenever a price_update
// for it arrives.
package board

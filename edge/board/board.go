package board

import (
	"embed"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

//go:embed assets
var assets embed.FS

// Board serves the page and its assets.
type Board struct{}

// New makes the board.
func New() *Board { return &Board{} }

// Routes are the page and its two assets.
func (b *Board) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/board", Name: "board", Handler: asset("assets/index.html", "text/html; charset=utf-8")},
		{Method: "GET", Path: "/board/board.js", Name: "board_js", Handler: asset("assets/board.js", "text/javascript; charset=utf-8")},
		{Method: "GET", Path: "/board/board.css", Name: "board_css", Handler: asset("assets/board.css", "text/css; charset=utf-8")},
	}
}

// asset answers one embedded file; the page is small and changes only with
// the binary, so a short cache is enough.
func asset(name, contentType string) func(*httpx.Request) {
	body, err := assets.ReadFile(name)
	if err != nil {
		panic("board: missing embedded asset " + name) // a build mistake, found by the tests
	}
	return func(rc *httpx.Request) {
		if err := httpx.CheckQuery(rc); err != nil {
			httpx.WriteError(rc.RequestCtx, err)
			return
		}
		rc.Response.Header.Set("Cache-Control", "public, max-age=60")
		rc.Response.Header.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'")
		rc.Response.Header.Set("X-Content-Type-Options", "nosniff")
		rc.SetContentType(contentType)
		rc.SetStatusCode(fasthttp.StatusOK)
		rc.SetBody(body)
	}
}

package edge

import (
	_ "embed"
)

// The OpenAPI document is written by hand next to the code it describes;
// TestOpenAPIDescribesRoutes keeps the two in step.
//
//go:embed openapi.json
var openAPIDoc []byte

//go:embed docs.html
var docsPage []byte

func (s *Server) handleOpenAPI(rc *requestCtx) {
	rc.Response.Header.SetContentType("application/json")
	rc.Response.Header.Set("Cache-Control", "public, max-age=300")
	rc.SetBody(openAPIDoc)
}

func (s *Server) handleDocs(rc *requestCtx) {
	rc.Response.Header.SetContentType("text/html; charset=utf-8")
	rc.Response.Header.Set("Cache-Control", "public, max-age=300")
	rc.Response.Header.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'")
	rc.SetBody(docsPage)
}

package main

import (
	"bytes"
	"fmt"
	"net"

	"github.com/gofiber/fiber/v2"
)

// padJSON returns a valid JSON document of exactly size bytes, so the baseline
// server can answer with a body as large as the product's real response.
//
//	size >= 10: {"pad":"xxx…"}
//	size 2..9:  "xxx…"   (a JSON string)
//	size 1:     0        (a JSON number)
//	size 0:     empty body
func padJSON(size int) []byte {
	const open, closing = `{"pad":"`, `"}`
	switch {
	case size <= 0:
		return []byte{}
	case size == 1:
		return []byte("0")
	case size < len(open)+len(closing):
		return append(append([]byte{'"'}, bytes.Repeat([]byte{'x'}, size-2)...), '"')
	}
	b := make([]byte, 0, size)
	b = append(b, open...)
	b = append(b, bytes.Repeat([]byte{'x'}, size-len(open)-len(closing))...)
	b = append(b, closing...)
	return b
}

// baseline is a minimal in-process Fiber server whose single handler answers
// every request with the same fixed JSON body. It shows what the framework,
// the loopback network and the load generator manage on this machine with no
// product logic at all.
type baseline struct {
	app  *fiber.App
	addr string
	done chan error
}

func startBaseline(body []byte) (*baseline, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline listen: %w", err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	b := &baseline{app: app, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { b.done <- app.Listener(ln) }()
	return b, nil
}

func (b *baseline) URL() string { return "http://" + b.addr }

func (b *baseline) Close() error {
	if err := b.app.Shutdown(); err != nil {
		return err
	}
	return <-b.done
}

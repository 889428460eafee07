package whatsapp

import (
	"crypto/subtle"

	"github.com/gofiber/fiber/v2"

	"concierge/modules/whatsapp/cloudapi"
)

// Meta's side of the channel: GET and POST /webhook/whatsapp (mounted on the
// Webhooks door, outside tenant resolution and staff sign-in: the payload
// names the number, and the signature proves the sender).

// verifyWebhook answers Meta's subscription check: hub.mode=subscribe and
// the configured token → 200 with hub.challenge as plain text; anything
// else 403.
func (s *Service) verifyWebhook(c *fiber.Ctx) error {
	mode, token, challenge := c.Query("hub.mode"), c.Query("hub.verify_token"), c.Query("hub.challenge")
	if mode != "subscribe" || s.cfg.VerifyToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.VerifyToken)) != 1 {
		return ErrVerifyMismatch
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString(challenge)
}

// webhook stores every message and status of a delivery, each message with
// its processing job, before answering 200 (Ingest): Meta retries anything
// else, and a retry is harmless.
func (s *Service) webhook(c *fiber.Ctx) error {
	res, err := s.Ingest(c.UserContext(), c.Body(), c.Get(cloudapi.SignatureHeader))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"stored": res.Stored, "duplicates": res.Duplicates, "statuses": res.Statuses, "unrouted": res.Unrouted})
}

-- Platform health of WhatsApp numbers (issue 14): a tenant's failed sends of
-- the last day, by number and error code, without reading its other messages.

-- +goose Up
CREATE INDEX messages_failed_out ON messages (tenant_id, status_at) WHERE direction = 'out' AND status = 'failed';

-- +goose Down
DROP INDEX messages_failed_out;

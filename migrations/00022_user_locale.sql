-- The admin dashboard's language per user (issue 14): ar or en; NULL until
-- the user picks one (the dashboard then starts in Arabic).

-- +goose Up
ALTER TABLE users ADD COLUMN locale text CHECK (locale IN ('ar', 'en'));

-- +goose Down
ALTER TABLE users DROP COLUMN locale;

-- Webhook deliveries relman asked GitHub to redeliver (POST /app/hook/deliveries/{id}/attempts),
-- by GUID (the X-GitHub-Delivery id, shared by every attempt of one event): each is asked for at
-- most once, across runs and replicas. Rows older than GitHub's delivery log are pruned.
CREATE TABLE redelivery_requests (
    guid         TEXT    PRIMARY KEY,
    delivery_id  INTEGER NOT NULL,   -- the attempt that was redelivered
    event        TEXT    NOT NULL,
    requested_at INTEGER NOT NULL
);
CREATE INDEX redelivery_requests_requested_at ON redelivery_requests (requested_at);

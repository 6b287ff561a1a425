-- Issue 23: the outbox and the inbox stay small. Retention (shared/messaging/retention.py) deletes published outbox
-- rows and applied inbox ids past their age a batch at a time, each batch found by these indexes, never by
-- reading the whole table.
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX inbox_received ON inbox (received_at);

-- 19: after-callbacks (webhooks) waiting for delivery; a row leaves once delivered.
CREATE TABLE callbacks (
   id       BIGSERIAL PRIMARY KEY,
   command  TEXT      NOT NULL,
   body     TEXT      NOT NULL,
   due      BIGINT    NOT NULL,
   attempts INTEGER   NOT NULL DEFAULT 0
);
CREATE INDEX callbacks_due ON callbacks (due, id);

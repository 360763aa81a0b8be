-- 5: pinned conversations, and conversations taken off their owner's list (until a message
-- newer than deleted_seq arrives).
ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN deleted_seq INTEGER NOT NULL DEFAULT 0;

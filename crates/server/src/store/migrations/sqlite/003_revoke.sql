-- 3: recalled messages: the row stays (history shows it as recalled) and 'revoke' inbox entries
-- tell both users' devices.
ALTER TABLE messages ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;

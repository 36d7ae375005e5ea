-- An organization's admins can withdraw an invitation not yet accepted. Its unused join
-- links stop working at once; the row stays (without the name the admin typed) until it
-- expires and is pruned, so that the person who opens the link reads that the invitation
-- was withdrawn rather than that the link is unknown.
ALTER TABLE one_time_links ADD COLUMN withdrawn_at BIGINT;

DROP INDEX `email_messages_due_idx`;--> statement-breakpoint
CREATE INDEX `email_messages_due_idx` ON `email_messages` (`status`,`next_attempt_at`) WHERE batch_id is null;
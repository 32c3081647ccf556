CREATE INDEX `donations_campaign_time_idx` ON `donations` (`campaign_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `donations_campaign_status_time_idx` ON `donations` (`campaign_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `donations_fund_time_idx` ON `donations` (`fund_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `donations_campaign_money_idx` ON `donations` (`campaign_id`,`fund_id`,`currency`,`paid_at`,`amount_minor`,`counted_minor`,`refunded_minor`,`dispute_status`,`disputed_minor`);--> statement-breakpoint
CREATE INDEX `donations_campaign_paid_idx` ON `donations` (`campaign_id`,`currency`,`paid_at`,`counted_minor`,`amount_minor`);
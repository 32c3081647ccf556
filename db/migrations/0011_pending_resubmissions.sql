ALTER TABLE `signatures` ADD `updates_requested` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `signatures` ADD `resubmitted_details` text;--> statement-breakpoint
ALTER TABLE `signatures` ADD `resubmitted_token_hash` text;--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_resubmitted_token_idx` ON `signatures` (`resubmitted_token_hash`) WHERE resubmitted_token_hash is not null;
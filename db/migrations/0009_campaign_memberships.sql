CREATE TABLE `campaign_memberships` (
	`organizer_id` integer NOT NULL,
	`campaign_id` integer NOT NULL,
	`role` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`organizer_id`, `campaign_id`),
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `campaign_memberships_campaign_idx` ON `campaign_memberships` (`campaign_id`);--> statement-breakpoint
-- Organisers who are not owners could edit every campaign before roles existed. They keep
-- editing every existing campaign; sending updates, settings, donations and exports now need
-- an owner to make them manager (ADR 011).
INSERT INTO `campaign_memberships` (`organizer_id`, `campaign_id`, `role`) SELECT `organizers`.`id`, `campaigns`.`id`, 'editor' FROM `organizers`, `campaigns` WHERE `organizers`.`role` <> 'owner';

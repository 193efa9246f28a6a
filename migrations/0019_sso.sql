CREATE TABLE `sso_domains` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`domain` text NOT NULL,
	`role` text NOT NULL,
	`verification_token` text NOT NULL,
	`verified_at` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sso_domains_org_domain` ON `sso_domains` (`org_id`,`domain`);--> statement-breakpoint
CREATE UNIQUE INDEX `sso_domains_verified` ON `sso_domains` (`domain`) WHERE verified_at is not null;--> statement-breakpoint
CREATE TABLE `sso_identities` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`provider` text NOT NULL,
	`subject` text NOT NULL,
	`email` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sso_identities_subject` ON `sso_identities` (`provider`,`subject`);--> statement-breakpoint
CREATE UNIQUE INDEX `sso_identities_user_provider` ON `sso_identities` (`user_id`,`provider`);--> statement-breakpoint
CREATE TABLE `sso_states` (
	`id` text PRIMARY KEY NOT NULL,
	`state_hash` text NOT NULL,
	`provider` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`org_id` text,
	`invitation_id` text,
	`secrets_encrypted` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sso_states_state_hash_unique` ON `sso_states` (`state_hash`);--> statement-breakpoint
CREATE INDEX `sso_states_expires` ON `sso_states` (`expires_at`);--> statement-breakpoint
ALTER TABLE `organizations` ADD `sso_required` integer DEFAULT false NOT NULL;
CREATE TABLE `book_pages` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`book_id` text NOT NULL,
	`type` text NOT NULL,
	`order_index` integer NOT NULL,
	`title` text,
	`upload_id` text,
	`config` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `book_pages_book_order` ON `book_pages` (`book_id`,`order_index`,`created_at`);--> statement-breakpoint
CREATE TABLE `booklet_files` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`book_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`job_id` text NOT NULL,
	`filename` text NOT NULL,
	`file_key` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`page_count` integer NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `booklet_files_org_created` ON `booklet_files` (`org_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `booklet_files_job` ON `booklet_files` (`job_id`);--> statement-breakpoint
CREATE TABLE `books` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`table_of_contents` integer DEFAULT false NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `books_org_created` ON `books` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `page_conditions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`page_id` text NOT NULL,
	`position` integer NOT NULL,
	`attribute_key` text NOT NULL,
	`attribute_value` text NOT NULL,
	`target_upload_id` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`page_id`) REFERENCES `book_pages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `page_conditions_page` ON `page_conditions` (`page_id`,`position`);
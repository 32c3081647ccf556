CREATE TABLE "signature_name_words" (
	"campaign_id" bigint NOT NULL,
	"word_hash" text NOT NULL,
	"signature_id" bigint NOT NULL,
	CONSTRAINT "signature_name_words_campaign_id_word_hash_signature_id_pk" PRIMARY KEY("campaign_id","word_hash","signature_id")
);
--> statement-breakpoint
CREATE TABLE "suppressed_addresses" (
	"email_hash" text PRIMARY KEY NOT NULL,
	"sealed" text,
	"data_key_id" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" bigint DEFAULT ((extract(epoch from clock_timestamp()) * 1000)::bigint) NOT NULL
);
--> statement-breakpoint
ALTER TABLE "donations" ALTER COLUMN "email" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "email_messages" ALTER COLUMN "to_email" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "replies" ALTER COLUMN "body" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "signatures" ALTER COLUMN "first_name" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "signatures" ALTER COLUMN "last_name" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "supporters" ALTER COLUMN "email_normalized" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "supporters" ALTER COLUMN "email" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "supporters" ALTER COLUMN "first_name" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "supporters" ALTER COLUMN "last_name" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "sealed" text;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "data_key_id" text;--> statement-breakpoint
ALTER TABLE "email_messages" ADD COLUMN "sealed" text;--> statement-breakpoint
ALTER TABLE "email_messages" ADD COLUMN "data_key_id" text;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "sealed" text;--> statement-breakpoint
ALTER TABLE "replies" ADD COLUMN "data_key_id" text;--> statement-breakpoint
ALTER TABLE "signatures" ADD COLUMN "sealed" text;--> statement-breakpoint
ALTER TABLE "signatures" ADD COLUMN "data_key_id" text;--> statement-breakpoint
ALTER TABLE "signatures" ADD COLUMN "resubmitted_sealed" text;--> statement-breakpoint
ALTER TABLE "supporters" ADD COLUMN "email_hash" text;--> statement-breakpoint
ALTER TABLE "supporters" ADD COLUMN "email_domain_hash" text;--> statement-breakpoint
ALTER TABLE "supporters" ADD COLUMN "sealed" text;--> statement-breakpoint
ALTER TABLE "supporters" ADD COLUMN "data_key_id" text;--> statement-breakpoint
ALTER TABLE "signature_name_words" ADD CONSTRAINT "signature_name_words_signature_id_signatures_id_fk" FOREIGN KEY ("signature_id") REFERENCES "public"."signatures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signature_name_words_signature_idx" ON "signature_name_words" USING btree ("signature_id");--> statement-breakpoint
CREATE INDEX "supporters_email_domain_idx" ON "supporters" USING btree ("email_domain_hash");--> statement-breakpoint
ALTER TABLE "supporters" ADD CONSTRAINT "supporters_email_hash_unique" UNIQUE("email_hash");
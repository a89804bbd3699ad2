// The schema migrations in the order they apply. A new release appends one (next version, NNN- file); a shipped
// migration never changes, since bases that already recorded its version will not run it again.
import { baseMigration } from './001-base.ts';
import { engineFieldsMigration } from './002-engine-fields.ts';
import { tagsAndSegmentsMigration } from './003-tags-and-segments.ts';
import { maxDealAmountMigration } from './004-max-deal-amount.ts';
import { segmentRefreshStateMigration } from './005-segment-refresh-state.ts';
import { listmonkSyncMigration } from './006-listmonk-sync.ts';
import { listmonkListLinkMigration } from './007-listmonk-list-link.ts';
import { promoCodesMigration } from './008-promo-codes.ts';
import { automationsMigration } from './009-automations.ts';
import { automationTriggersMigration } from './010-automation-triggers.ts';
import { promoSequencesMigration } from './011-promo-sequences.ts';
import { analyticsIndexesMigration } from './012-analytics-indexes.ts';
import { clientProfileFieldMigration } from './013-client-profile-field.ts';
import { dropAnalyticsIndexesMigration } from './014-drop-analytics-indexes.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

export const MIGRATIONS: readonly Migration[] = [baseMigration, engineFieldsMigration, tagsAndSegmentsMigration, maxDealAmountMigration, segmentRefreshStateMigration, listmonkSyncMigration, listmonkListLinkMigration, promoCodesMigration, automationsMigration, automationTriggersMigration, promoSequencesMigration, analyticsIndexesMigration, clientProfileFieldMigration, dropAnalyticsIndexesMigration];

// Directus recognises errors by name and code, so errors made with its factory answer with the right status.
import { createError } from '@directus/errors';

export const InvalidMappingError = createError<{ errors: string[] }>(
	'INVALID_PAYLOAD',
	(ext) => `Invalid segmentation mapping: ${ext.errors.join('; ')}`,
	400,
);

export const ForbiddenSegmentationError = createError(
	'FORBIDDEN',
	'You need admin access or the Marketer policy to use segmentation.',
	403,
);

/** An endpoint's permission check failed: names what is missing, as Directus's own permissions decided. */
export const MissingPermissionError = createError<{ missing: string[] }>(
	'FORBIDDEN',
	(ext) => `You need admin access or the Marketer policy to use segmentation: this needs permission to ${ext.missing.join(', ')}.`,
	403,
);

/** Figures over the whole base asked by a caller who may read only part of it (an item filter, or fields left out):
 *  they would show more than the caller's permission. Says why, in plain words. */
export const PartialReadError = createError<{ reasons: string[] }>(
	'FORBIDDEN',
	(ext) => `These figures count the whole client base, so they are shown only to roles that may read all of it: ${ext.reasons.join('; ')}.`,
	403,
);

/** Something only an administrator may do (an `as_of` far from today, the mapping check). */
export const AdminOnlyError = createError<{ reason: string }>('FORBIDDEN', (ext) => `Only an administrator may ${ext.reason}.`, 403);

/** A non-admin tried to change the client base mapping on the settings singleton. */
export const MappingAdminOnlyError = createError<{ keys: string[] }>(
	'FORBIDDEN',
	(ext) => `Only an administrator may change the client base mapping (${ext.keys.join(', ')}); marketers may change the engine settings.`,
	403,
);

/** The database did not answer while checking permissions: a 503 to retry, never a 403. */
export const DatabaseUnavailableError = createError<{ reason: string }>(
	'SERVICE_UNAVAILABLE',
	(ext) => `The database did not answer while checking your permissions (${ext.reason}); try again shortly.`,
	503,
);

/** A failed recompute as the caller sees it: a short message and the run id; the details are in the server log. */
export const RecomputeFailedHttpError = createError<{ run: number | null }>(
	'SEGMENTATION_RUN_FAILED',
	(ext) => (ext.run === null ? 'Recompute failed; see the server log.' : `Recompute failed (run ${ext.run}); see the server log.`),
	500,
);

export const NotInstalledError = createError<{ reason: string }>(
	'SERVICE_UNAVAILABLE',
	(ext) => `Segmentation is not installed: ${ext.reason}`,
	503,
);

export const InvalidEngineSettingsError = createError<{ errors: string[] }>(
	'INVALID_PAYLOAD',
	(ext) => `Invalid segmentation settings: ${ext.errors.join('; ')}`,
	400,
);

export const RecomputeBusyHttpError = createError('SEGMENTATION_BUSY', 'A recompute is already running on this cluster; try again when it has finished.', 409);

export const InvalidRequestError = createError<{ errors: string[] }>('INVALID_PAYLOAD', (ext) => `Invalid request: ${ext.errors.join('; ')}`, 400);

export const InvalidSegmentError = createError<{ errors: string[] }>('INVALID_PAYLOAD', (ext) => `Invalid segment: ${ext.errors.join('; ')}`, 400);

export const NotFoundAutomationError = createError<{ id: string }>('ROUTE_NOT_FOUND', (ext) => `Automation ${ext.id} does not exist.`, 404);

export const AutomationsBusyHttpError = createError('SEGMENTATION_BUSY', 'The automations are running on this cluster; try again when they have finished.', 409);

export const InvalidAutomationError = createError<{ errors: string[] }>('INVALID_PAYLOAD', (ext) => `Invalid automation: ${ext.errors.join('; ')}`, 400);

export const InvalidSequenceError = createError<{ errors: string[] }>('INVALID_PAYLOAD', (ext) => `Invalid promo sequence: ${ext.errors.join('; ')}`, 400);

export const NotFoundSequenceError = createError<{ id: string }>('ROUTE_NOT_FOUND', (ext) => `Promo sequence ${ext.id} does not exist.`, 404);

export const SequenceLaunchError = createError<{ reason: string }>('SEQUENCE_NOT_LAUNCHED', (ext) => `The sequence was not launched: ${ext.reason}`, 409);

export const InvalidPromoCodeError = createError<{ errors: string[] }>('INVALID_PAYLOAD', (ext) => `Invalid promo code: ${ext.errors.join('; ')}`, 400);

export const SegmentsBusyHttpError = createError('SEGMENTATION_BUSY', 'A segment refresh is already running on this cluster; try again when it has finished.', 409);

export const NotFoundSegmentError = createError<{ id: string }>('ROUTE_NOT_FOUND', (ext) => `Segment ${ext.id} does not exist.`, 404);

/** A sync surface used without LISTMONK_URL, LISTMONK_API_USER and LISTMONK_API_TOKEN (or with a broken value). */
export const ListmonkNotConfiguredError = createError<{ reason: string }>('SERVICE_UNAVAILABLE', (ext) => ext.reason, 503);

/** Listmonk did not answer, refused the credentials, or failed: the sync's changes wait and are retried. */
export const ListmonkUnavailableError = createError<{ reason: string }>('SERVICE_UNAVAILABLE', (ext) => `Listmonk could not be reached or refused the sync: ${ext.reason}`, 503);

export const SyncBusyHttpError = createError('SEGMENTATION_BUSY', 'A Listmonk sync is running on this cluster; try again when it has finished.', 409);

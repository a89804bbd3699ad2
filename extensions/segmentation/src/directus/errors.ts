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

export const SegmentsBusyHttpError = createError('SEGMENTATION_BUSY', 'A segment refresh is already running on this cluster; try again when it has finished.', 409);

export const NotFoundSegmentError = createError<{ id: string }>('ROUTE_NOT_FOUND', (ext) => `Segment ${ext.id} does not exist.`, 404);

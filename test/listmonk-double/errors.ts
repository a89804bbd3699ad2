// listmonk answers every error as echo's HTTPError: `{"message": "..."}` with a status. Some handlers wrap another
// HTTPError's Go string (`code=400, message=..., internal=...`) into their own message, so that string is kept too.

export class ApiError extends Error {
	readonly status: number;
	/** Go's error text of the cause, which echo appends as `, internal=...` when the error is printed. */
	readonly internal: string | undefined;

	constructor(status: number, message: string, internal?: string) {
		super(message);
		this.status = status;
		this.internal = internal;
	}

	/** echo's `HTTPError.Error()`. */
	goString(): string {
		return `code=${this.status}, message=${this.message}${this.internal === undefined ? '' : `, internal=${this.internal}`}`;
	}
}

export const badRequest = (message: string, internal?: string): ApiError => new ApiError(400, message, internal);
export const forbidden = (message: string): ApiError => new ApiError(403, message);
export const serverError = (message: string): ApiError => new ApiError(500, message);

/** A Go error that is not an HTTPError: echo hides its text. */
export const plainGoError = (): ApiError => new ApiError(500, 'Internal Server Error');

/** echo's ErrPermDenied from the auth package (list-level checks). */
export const permDenied = (): ApiError => forbidden('permission denied');

/** i18n `globals.messages.permissionDenied`. */
export const permissionDeniedFor = (name: string): ApiError => forbidden(`Permission denied: ${name}`);

/** What Postgres says when a text value is cast to one of listmonk's enums. */
export const enumError = (enumName: string, value: string): string => `pq: invalid input value for enum ${enumName}: "${value}"`;

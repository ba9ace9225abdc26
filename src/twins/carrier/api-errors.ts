/** A Telnyx-shaped error answer: `{ errors: [{ code, title, detail, source }] }` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly pointer?: string,
  ) {
    super(`${status} ${title}`);
    this.name = 'ApiError';
  }

  body(): object {
    return {
      errors: [
        {
          code: this.code,
          title: this.title,
          detail: this.detail,
          ...(this.pointer ? { source: { pointer: this.pointer } } : {}),
          meta: { url: `https://developers.telnyx.com/docs/overview/errors/${this.code}` },
        },
      ],
    };
  }
}

/** The Telnyx error codes the twin answers with. */
export const errors = {
  unauthenticated: () => new ApiError(401, '10009', 'Authentication failed', 'The required authentication headers were either invalid or not included in the request.'),
  notFound: () => new ApiError(404, '10005', 'Resource not found', 'The requested resource or URL could not be found.'),
  missing: (field: string) => new ApiError(422, '10004', 'Missing required parameter', `The '${field}' parameter is required.`, `/${field}`),
  notE164: (field: string) => new ApiError(422, '10016', 'Phone number must be in +E.164 format', `The '${field}' parameter must be in +E.164 format.`, `/${field}`),
  invalidUrl: (field: string) =>
    new ApiError(422, '10003', 'Invalid URL', 'The URL provided was invalid, malformed, or too long. URLs can be a maximum of 2000 characters.', `/${field}`),
  invalidValue: (field: string, detail: string) => new ApiError(422, '10015', 'Invalid value for parameter', detail, `/${field}`),
  invalidJson: () => new ApiError(400, '10023', 'Invalid JSON', 'The request body is not valid JSON.'),
  unsupportedMediaType: () => new ApiError(415, '10014', 'Unsupported Media Type', 'Send the request body as application/json.'),
  tooLarge: () => new ApiError(413, '10015', 'Bad Request', 'The request body is too large.'),
  methodNotAllowed: () => new ApiError(405, '10015', 'Bad Request', 'This method is not allowed on this resource.'),
  notCancellable: (status: string) =>
    new ApiError(422, '10015', 'Fax cannot be cancelled', `Only faxes that are queued, media.processed, originated or sending can be cancelled; this one is ${status}.`),
  unexpected: () => new ApiError(500, '10007', 'Unexpected error', 'An unexpected error occurred.'),
};

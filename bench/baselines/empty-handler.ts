/** The empty handler: what a cold start costs with nothing in it (the bundle bench's informational ratio). */
export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 200 });

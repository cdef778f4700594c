/**
 * Awaits a conditional write: true when it applied, false when its condition failed (the state
 * was not what the caller expected); anything else is a real error and throws.
 * @example if (!(await applied(client.send(new UpdateCommand({ ..., ConditionExpression })))) return 'lost';
 */
export async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

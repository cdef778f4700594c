/**
 * The one update of a sharded-account item (a reward's stock, a campaign's budget): a credit adds
 * unconditionally; a debit commits only while the shard stays non-negative.
 */
export function accountUpdate(TableName: string, Key: { pk: string; sk: string }, delta: number) {
  const debit = delta < 0;
  return {
    Update: {
      TableName,
      Key,
      UpdateExpression: 'ADD #balance :delta SET kind = :kind',
      ...(debit ? { ConditionExpression: '#balance >= :needed' } : {}),
      ExpressionAttributeNames: { '#balance': 'balance' },
      ExpressionAttributeValues: { ':delta': delta, ':kind': 'account', ...(debit ? { ':needed': -delta } : {}) },
    },
  };
}

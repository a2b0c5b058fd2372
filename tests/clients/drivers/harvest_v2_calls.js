// harvest-v2 (npm), unchanged but for its base URL: the calls a payment integration makes.
// Prints what it got as one JSON object.
// Environment: HARVEST_BASE, HARVEST_TOKEN, HARVEST_ACCOUNT_ID, INVOICE_ID (and NODE_PATH).
const Harvest = require('harvest-v2');

const harvest = new Harvest({
  account_ID: process.env.HARVEST_ACCOUNT_ID,
  access_token: process.env.HARVEST_TOKEN,
  user_agent: 'payments-service client check (ops@example.com)',
});
// Each resource carries its own absolute base URI.
for (const resource of Object.values(harvest)) {
  if (resource && typeof resource.baseUri === 'string') {
    resource.baseUri = resource.baseUri.replace('https://api.harvestapp.com', process.env.HARVEST_BASE);
  }
}

async function main() {
  const invoiceId = Number(process.env.INVOICE_ID);
  const created = await harvest.invoicePayments.create(invoiceId, {
    amount: 12.5, paid_at: '2024-03-01T10:00:00Z', notes: 'node',
  });
  const doomed = await harvest.invoicePayments.create(invoiceId, { amount: 1 });
  let deleted = 'parsed';
  try {
    await harvest.invoicePayments.delete(invoiceId, doomed.id);
  } catch (error) {
    deleted = `${error.name}: ${error.message}`;
  }
  const result = {
    company: await harvest.company.retrieve(),
    me: await harvest.users.retrieve('me'),
    // listBy writes `/v2/invoices/?updated_since=...`: a trailing slash
    listed: await harvest.invoices.listBy({ updated_since: '2000-01-01T00:00:00Z', per_page: 100 }),
    invoice: await harvest.invoices.retrieve(invoiceId),
    created,
    doomed,
    deleted,
    payments: await harvest.invoicePayments.list(invoiceId),
  };
  console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

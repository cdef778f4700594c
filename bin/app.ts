import { App } from 'aws-cdk-lib';
import { addLoyaltyPlatform } from '../lib/loyalty-app';

const app = new App();
addLoyaltyPlatform(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
app.synth();

import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { RECIPIENT_FORMATS } from '../contact-channel';
import { serviceLabel } from '../ai/analysis';
import { CreateSubmissionDto } from './create-submission.dto';

const lead = { name: 'Jana', email: 'jana@example.com', message: 'We need an e-shop.' };
const problems = async (plain: object) =>
  (await validate(plainToInstance(CreateSubmissionDto, plain), { whitelist: true, forbidNonWhitelisted: true })).map((e) => e.property).sort();

describe('CreateSubmissionDto', () => {
  it('accepts the minimal form and trims what a person types around it', async () => {
    expect(await problems(lead)).toEqual([]);
    expect(plainToInstance(CreateSubmissionDto, { ...lead, name: '  Jana  ' }).name).toBe('Jana');
  });

  it('names each missing or invalid field', async () => {
    expect(await problems({ email: 'nope', message: 'x'.repeat(10_001), contactChannel: 'fax' })).toEqual(['contactChannel', 'email', 'message', 'name']);
    // Valid by RFC 5322 but not deliverable by the notification service: refused here, not lost later.
    expect(await problems({ ...lead, email: '"jana novak"@example.com' })).toEqual(['email']);
  });

  it('requires the contact of the chosen channel, in the form its channel can use', async () => {
    expect(await problems({ ...lead, contactChannel: 'whatsapp' })).toEqual(['phone']);
    expect(await problems({ ...lead, contactChannel: 'whatsapp', phone: '601 123 456' })).toEqual(['phone']);
    expect(await problems({ ...lead, contactChannel: 'whatsapp', phone: '+420601123456' })).toEqual([]);
    expect(await problems({ ...lead, contactChannel: 'telegram', telegramChatId: '@someone' })).toEqual(['telegramChatId']);
    expect(await problems({ ...lead, contactChannel: 'telegram', telegramChatId: '123456789' })).toEqual([]);
    expect(await problems({ ...lead, contactChannel: 'linkedin', linkedinUrl: 'https://www.linkedin.com/company/acme' })).toEqual(['linkedinUrl']);
    expect(await problems({ ...lead, contactChannel: 'linkedin', linkedinUrl: 'https://www.linkedin.com/in/jana/?originalSubdomain=cz' })).toEqual([]);
  });

  it('accepts exactly what the notification service can deliver to', () => {
    for (const url of ['https://www.linkedin.com/in/jana', 'https://cz.linkedin.com/in/jana-novakova/', 'https://linkedin.com/in/jana#about']) {
      expect(RECIPIENT_FORMATS.linkedin.pattern.test(url)).toBe(true);
    }
    for (const url of ['http://www.linkedin.com/in/jana', 'https://linkedin.com.evil.example/in/jana', 'https://www.linkedin.com/in/', 'https://www.linkedin.com/in/a/b']) {
      expect(RECIPIENT_FORMATS.linkedin.pattern.test(url)).toBe(false);
    }
  });
});

describe('serviceLabel', () => {
  it("names a category in the lead's language, and nothing for other", () => {
    expect(serviceLabel('e-commerce', 'en')).toBe('an online shop');
    expect(serviceLabel('mobile-app', 'cs')).toBe('mobilní aplikaci');
    expect(serviceLabel('other', 'en')).toBeUndefined();
    expect(serviceLabel('cybersecurity', 'cs')).toBeUndefined();
  });
});

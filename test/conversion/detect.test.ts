import { detectType } from '../../src/conversion';
import { inspectImage } from '../../src/conversion/formats/image-header';
import { bmp, bombPng, docx, elf, encryptedOffice, gif, odt, textPdf, tiff, zip } from './helpers/corpus';

const png = (width: number, height: number): Buffer => {
  const b = Buffer.alloc(45);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b.writeUInt32BE(0, 33);
  b.write('IEND', 37, 'latin1');
  return b;
};

describe('format detection from content', () => {
  test.each([
    ['pdf', async () => textPdf(1)],
    ['pdf', async () => Buffer.concat([Buffer.from('junk before the header\n'), await textPdf(1)])],
    ['png', async () => png(10, 10)],
    ['jpeg', async () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16])],
    ['gif', async () => gif(4, 4)],
    ['tiff', async () => tiff([{ width: 4, height: 4 }])],
    ['tiff', async () => Buffer.from('MM\0*\0\0\0\x08', 'latin1')],
    ['webp', async () => Buffer.from('RIFF\x10\0\0\0WEBPVP8L', 'latin1')],
    ['bmp', async () => bmp(4, 4)],
    ['docx', async () => docx(['x'])],
    ['odt', async () => odt(['x'])],
    ['rtf', async () => Buffer.from('{\\rtf1 hello}')],
    ['doc', async () => encryptedOffice()],
    ['text', async () => Buffer.from('Plain text, UTF-8: Grüße, 中文\r\n\tindented\f')],
    ['text', async () => Buffer.from('BM is also how this text starts')],
  ])('%s', async (type, make) => {
    expect(detectType(await make())).toBe(type);
  });

  test.each([
    ['an ELF executable', elf()],
    ['a Windows executable', Buffer.concat([Buffer.from('MZ\x90\0\x03\0\0\0'), Buffer.alloc(200, 0)])],
    ['a ZIP of other things', zip([['a.txt', 'x']])],
    ['Latin-1 bytes that are not UTF-8', Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65])],
    ['an empty buffer', Buffer.alloc(0)],
    ['an OLE2 file that is not Word', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(600)])],
  ])('refuses %s', (_name, buf) => {
    expect(detectType(buf)).toBeNull();
  });

  test('a renamed file is judged by its bytes: a PDF called .png is a PDF', async () => {
    expect(detectType(await textPdf(1))).toBe('pdf');
  });
});

describe('image headers', () => {
  test('reads sizes without decoding', () => {
    expect(inspectImage(png(1234, 567), 'png')).toEqual([{ width: 1234, height: 567 }]);
    expect(inspectImage(bombPng(), 'png')).toEqual([{ width: 100000, height: 100000 }]);
    expect(inspectImage(bmp(30, 20), 'bmp')).toEqual([{ width: 30, height: 20 }]);
    expect(inspectImage(gif(17, 9), 'gif')).toEqual([{ width: 17, height: 9 }]);
    expect(
      inspectImage(
        tiff([
          { width: 5, height: 6 },
          { width: 7, height: 8 },
        ]),
        'tiff',
      ),
    ).toEqual([
      { width: 5, height: 6 },
      { width: 7, height: 8 },
    ]);
  });

  test.each([
    ['png', png(10, 10).subarray(0, 36)],
    ['bmp', bmp(30, 20).subarray(0, 500)],
    ['gif', gif(17, 9).subarray(0, 900)],
    ['tiff', tiff([{ width: 50, height: 50 }]).subarray(0, 400)],
  ] as const)('refuses a truncated %s as corrupt', (type, buf) => {
    let reason: string | undefined;
    try {
      inspectImage(buf, type);
    } catch (err) {
      reason = (err as { reason?: string }).reason;
    }
    expect(reason).toBe('corrupt_document');
  });
});

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { converterEnvironment, withoutNetwork } from '../../converter-environment';
import { officeProfileUrl } from '../../office-profile';
import type { OfficeType } from '../../formats/source-type';
import { ConversionError } from '../../types';

/**
 * Converts an office document to PDF with LibreOffice in headless mode. Each conversion has
 * its own user profile folder (inside the job's temporary folder), so several can run at once;
 * LibreOffice otherwise hands the job to an already running instance or refuses to start.
 * The process runs in the child's process group, so a timeout kills it too; it gets a
 * minimal environment and, where the machine allows, no network.
 */
export async function officeToPdf(soffice: string, data: Uint8Array, type: OfficeType, tmpDir: string, timeoutMs: number): Promise<Buffer> {
  const input = path.join(tmpDir, `document.${type}`);
  const outDir = path.join(tmpDir, 'pdf');
  await fs.mkdir(outDir, { recursive: true });
  await fs.writeFile(input, data);
  const args = [
    `-env:UserInstallation=${officeProfileUrl(tmpDir)}`,
    '--headless',
    '--invisible',
    '--nodefault',
    '--nolockcheck',
    '--nologo',
    '--norestore',
    '--convert-to',
    'pdf',
    '--outdir',
    outDir,
    input,
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const run = withoutNetwork(soffice, args);
    // Its temporary files go in the job's folder too, which is removed however the job ends: a
    // LibreOffice killed for time leaves its lu*.tmp files (parts of the document) behind otherwise.
    const proc = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'], env: converterEnvironment({ HOME: tmpDir, TMPDIR: tmpDir }) });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-2000);
    };
    proc.stdout.on('data', collect);
    proc.stderr.on('data', collect);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const killOnExit = (): void => {
      proc.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    proc.on('error', (err) => {
      clearTimeout(timer);
      process.off('exit', killOnExit);
      reject(err);
    });
    proc.on('close', (exitCode) => {
      clearTimeout(timer);
      process.off('exit', killOnExit);
      resolve({ code: exitCode, output });
    });
  });
  const pdf = await fs.readFile(path.join(outDir, 'document.pdf')).catch(() => null);
  if (!pdf || pdf.length === 0) {
    throw new ConversionError('corrupt_document', `LibreOffice could not read the ${type} document (exit ${code}): ${output.trim().split('\n').pop() ?? ''}`);
  }
  return pdf;
}

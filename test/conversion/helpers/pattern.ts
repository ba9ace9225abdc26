/**
 * The test picture: white, a black square in the middle (the central quarter of each side),
 * and a 50 % grey band along the top tenth. Returns grey values, row by row.
 */
export function patternPixels(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y < height / 10) px[y * width + x] = 128;
      if (x >= (3 * width) / 8 && x < (5 * width) / 8 && y >= (3 * height) / 8 && y < (5 * height) / 8) px[y * width + x] = 0;
    }
  }
  return px;
}

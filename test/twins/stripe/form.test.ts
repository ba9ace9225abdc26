import { FormError, Params, parseForm } from '../../../src/twins/stripe/form';

describe('Stripe form encoding', () => {
  test('bracket notation nests objects and arrays as Stripe reads them', () => {
    const parsed = parseForm(
      'mode=payment&metadata[fax_id]=f-1&line_items[0][price_data][unit_amount]=257&line_items[0][price_data][product_data][name]=Fax%20to%20%2B49&line_items[0][quantity]=1&expand[]=latest_charge&expand[]=payment_intent',
    );
    expect(parsed).toEqual({
      mode: 'payment',
      metadata: { fax_id: 'f-1' },
      line_items: [{ price_data: { unit_amount: '257', product_data: { name: 'Fax to +49' } }, quantity: '1' }],
      expand: ['latest_charge', 'payment_intent'],
    });
    expect(parseForm('expand[0]=a&expand[1]=b')).toEqual({ expand: ['a', 'b'] });
    expect(parseForm('')).toEqual({});
  });

  test('malformed names, gaps in indices and conflicting values are refused with the parameter named', () => {
    const refusal = (encoded: string): FormError => {
      try {
        parseForm(encoded);
      } catch (err) {
        if (err instanceof FormError) return err;
        throw err;
      }
      throw new Error(`accepted ${encoded}`);
    };
    expect(refusal('a[b=1').param).toBe('a[b');
    expect(refusal('items[1][x]=1').message).toContain('contiguous');
    expect(refusal('a=1&a[b]=2').message).toContain('Conflicting');
    expect(refusal('a[b]=1&a[b][c]=2').param).toBe('a[b][c]');
    expect(refusal('a[0]=1&a[x]=2').message).toContain('Conflicting values for a[x]');
  });

  test('typed reads name the parameter Stripe would name', () => {
    const thrown = (fn: () => unknown): FormError => {
      try {
        fn();
      } catch (err) {
        if (err instanceof FormError) return err;
        throw err;
      }
      throw new Error('no error');
    };
    const p = new Params(parseForm('line_items[0][quantity]=two&line_items[0][price_data][currency]=eur&metadata[k]=v&n=5'));
    const [item] = p.array('line_items');
    expect(thrown(() => item.requiredInteger('quantity'))).toMatchObject({ param: 'line_items[0][quantity]', code: 'parameter_invalid_integer' });
    expect(thrown(() => item.object('price_data')!.requiredString('unit_amount'))).toMatchObject({ param: 'line_items[0][price_data][unit_amount]', code: 'parameter_missing' });
    expect(p.metadata()).toEqual({ k: 'v' });
    expect(p.integer('n')).toBe(5);
    expect(thrown(() => p.only('line_items', 'metadata'))).toMatchObject({ param: 'n', code: 'parameter_unknown' });
  });
});

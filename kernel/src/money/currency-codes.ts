/**
 * The ISO 4217 currencies a price may be in: the circulating ones (those Intl knows for
 * formatting, plus VED), not fund codes, precious metals, or the testing and "no currency"
 * codes (XTS, XXX), and not three letters anyone made up (ZZZ). Kept here rather than read from
 * Intl.supportedValuesOf, which varies with the ICU a Node build carries.
 */
const CURRENCY_CODES: ReadonlySet<string> = new Set(
  `
  AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
  BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD
  EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR
  ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
  LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO
  NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG
  SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
  TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XDR XOF XPF XSU YER ZAR
  ZMW ZWG ZWL
`
    .trim()
    .split(/\s+/),
);

/** Whether an upper-case code is an ISO 4217 currency a price may be in. */
export const isCurrencyCode = (code: string): boolean => CURRENCY_CODES.has(code);

import sys,struct
pid=int(sys.argv[1])
ranges=[('pre-rodata r--',0x400000,0xb6f000),('text',0xb72000,0x25fe000),('rodata<icu',0x2601000,0x330a000),('icu',0x330a000,0x563a000)]
f=open(f'/proc/{pid}/pagemap','rb')
for name,a,b in ranges:
    f.seek((a//4096)*8); data=f.read(((b-a)//4096)*8)
    n=sum(1 for i in range(0,len(data),8) if struct.unpack('<Q',data[i:i+8])[0]>>63)
    print(name, n*4//1024,'MB of',(b-a)//1024//1024)

import sys,re,collections
pid=sys.argv[1]
agg=collections.defaultdict(lambda:[0,0])
cur=None
for line in open(f'/proc/{pid}/smaps'):
    if re.match(r'^[0-9a-f]+-[0-9a-f]+ ',line):
        parts=line.split()
        name=parts[5] if len(parts)>5 else '[anon]'
        cur=name
    elif line.startswith('Rss:'):
        agg[cur][0]+=int(line.split()[1])
    elif line.startswith('Pss:'):
        agg[cur][1]+=int(line.split()[1])
tot=[sum(v[0] for v in agg.values()),sum(v[1] for v in agg.values())]
print('total rss %d pss %d MB'%(tot[0]//1024,tot[1]//1024))
for k,v in sorted(agg.items(),key=lambda kv:-kv[1][0])[:15]:
    print('%8d %8d %s'%(v[0],v[1],k))

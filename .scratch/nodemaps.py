import sys,re
pid=sys.argv[1]
cur=None
for line in open(f'/proc/{pid}/smaps'):
    if re.match(r'^[0-9a-f]+-[0-9a-f]+ ',line):
        cur=line.split()
    elif line.startswith('Rss:') and cur and len(cur)>5 and cur[5].endswith('node'):
        a,b=cur[0].split('-'); size=(int(b,16)-int(a,16))//1024
        print('%-30s %s size %6d KB rss %s'%(cur[0],cur[1],size,line.split()[1]))
